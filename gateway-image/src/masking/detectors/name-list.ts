/**
 * The shipped name list for the person-name detector: common given names and surnames in the
 * United States (frequency lists of the kind the Census Bureau and SSA publish, as plain facts).
 * Words that are also ordinary English or technical words (Will, May, Mark, Grant, Page, Chase,
 * Rose, Hope, Bill, Max, Art, Young, King, Long, Price, …) are left out: alone they would flag
 * prose, and the detector already requires a given name next to a surname or a title.
 */
const GIVEN = `
James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel Matthew
Anthony Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy Ronald Edward Jason
Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin Scott Brandon Benjamin Samuel
Gregory Alexander Patrick Raymond Jack Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Douglas
Zachary Peter Kyle Ethan Walter Noah Jeremy Christian Keith Roger Terry Austin Sean Gerald Carl
Harold Dylan Arthur Lawrence Jordan Jesse Bryan Billy Bruce Gabriel Joe Logan Alan Juan Albert
Willie Elijah Wayne Randy Vincent Mason Roy Ralph Bobby Russell Bradley Philip Eugene Luis Carlos
Miguel Jorge Pedro Diego Alejandro Fernando Ricardo Javier Manuel Rafael Andres Mateo Santiago
Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy Betty Sandra
Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah Stephanie Dorothy
Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda Emma Anna Pamela Nicole Samantha
Katherine Christine Helen Debra Rachel Carolyn Janet Maria Catherine Heather Diane Olivia Julie
Joyce Victoria Ruth Virginia Lauren Kelly Christina Joan Evelyn Judith Andrea Hannah Megan
Cheryl Jacqueline Martha Madison Teresa Gloria Sara Janice Ann Kathryn Abigail Sophia Frances
Jean Alice Judy Isabella Julia Grace Amber Denise Danielle Marilyn Beverly Charlotte Natalie
Theresa Diana Brittany Doris Kayla Alexis Lori Marie Camila Valentina Lucia Sofia Ximena Carmen
Rosa Elena Ana Gabriela Daniela Fatima Aisha Mohammed Ahmed Omar Ali Hassan Yusuf Priya Anjali
Raj Rahul Arjun Wei Li Ming Hiroshi Yuki Kenji Mei Chen Jin Minh Linh Nguyen Olga Ivan Dmitri
Sergei Anastasia Katarzyna Piotr Giulia Marco Luca Francesca Hans Klaus Ingrid Astrid Lars Sven
Liam Oliver Lucas Elias Levi Sebastian Mia Harper Amelia Ella Avery Scarlett Aria Chloe Zoey
Layla Nora Lily Eleanor Hazel Aurora Penelope Riley Nova Emilia Stella Leah Ava Ellie Violet
`;

const FAMILY = `
Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez
Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark
Ramirez Lewis Robinson Walker Allen Wright Scott Torres Nguyen Hill Flores Green Adams Nelson
Baker Hall Rivera Campbell Mitchell Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz
Edwards Collins Reyes Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper
Peterson Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood James
Bennett Gray Mendoza Ruiz Hughes Alvarez Castillo Sanders Patel Myers Ross Foster Jimenez Powell
Jenkins Perry Russell Sullivan Bell Coleman Butler Henderson Barnes Gonzales Fisher Vasquez
Simmons Romero Jordan Patterson Alexander Hamilton Graham Reynolds Griffin Wallace Moreno West
Cole Hayes Bryant Herrera Gibson Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall
Owens Harrison Fernandez Mcdonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb
Tucker Guzman Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason
Dixon Munoz Hunt Hicks Holmes Palmer Wagner Black Robertson Boyd Rose Stone Salazar Fox Warren
Mills Meyer Rice Schmidt Garza Daniels Ferguson Nichols Stephens Soto Weaver Ryan Gardner Payne
Grant Dunn Kelley Spencer Hawkins Arnold Pierce Vazquez Hansen Peters Santos Hart Bradley Knight
Elliott Cunningham Duncan Armstrong Hudson Carroll Lane Riley Andrews Alvarado Ray Delgado Berry
Perkins Hoffman Johnston Matthews Pena Richards Contreras Willis Carpenter Lawrence Sandoval
Wang Li Zhang Liu Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo Lin Singh Kumar Sharma Gupta Shah
Khan Ahmed Ali Hussain Rahman Tanaka Suzuki Sato Takahashi Watanabe Ito Yamamoto Nakamura
Kobayashi Park Choi Jung Kang Cho Yoon Pham Hoang Phan Vu Dang Bui Do Ivanov Petrov Kowalski
Nowak Novak Muller Schneider Fischer Weber Becker Rossi Russo Ferrari Esposito Bianchi Romano
Colombo Ricci Dubois Martin Bernard Lefebvre Moreau Laurent Simon Michel Garcia Jensen Nielsen
Hansen Larsen Andersen Johansson Karlsson Nilsson Eriksson Larsson Olsen Obrien Oconnor Murphy
`;

function toSet(words: string): ReadonlySet<string> {
  return new Set(words.split(/\s+/).filter((w) => w !== ''));
}

export const GIVEN_NAMES = toSet(GIVEN);
export const FAMILY_NAMES = toSet(FAMILY);
